"""The WSGI application that gunicorn serves (config/gunicorn.py).

Once Django is set up and the URLconf imported, the objects alive are the process's for good: modules,
models, settings, URL patterns. gc.freeze() moves them out of the garbage collector's generations, so
its full collections no longer walk them. Unfrozen, a full collection took 94 ms in a worker that had
served filings (bench/filing_cpu.py with gc callbacks), stopping every thread of the worker; frozen
here, 1.7 ms.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports the URLconf and every view module now)
gc.freeze()
