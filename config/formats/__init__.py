"""Dates and times as each language writes them, with the month as a word: never 02/07/2024.

Europe and Central Asia read 02/07/2024 as 2 July, the United States as 7 February: a mission's
observers come from both. Django picks these up through FORMAT_MODULE_PATH; whatever a language's
module leaves out (decimal separators, input formats) comes from Django's own locale data.
"""
