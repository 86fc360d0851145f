"""The WSGI application that gunicorn serves (config/gunicorn.py).

Once Django is set up and the URLconf imported, the objects alive are the process's for good: modules,
models, settings, URL patterns. gc.freeze() moves them out of the garbage collector's generations, so
its full collections no longer walk them: a full collection stops every thread of the worker, and
walking Django's own objects was most of its time (bench/filing_cpu.py with gc callbacks measures it).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports the URLconf and every view module now)
gc.freeze()
