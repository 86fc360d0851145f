"""The statement: drafting from the data (figures, drafting, tokens), the document, the workflow (services)."""
