"""The Streamlit script the server runs on every rerun.

Streamlit runs it as `__main__`. A job worker process is started with the spawn method, which
imports the parent's `__main__` module under the name `__mp_main__`: the guard keeps a worker
from drawing the app (and opening the database the server owns).
"""

from robustapp.ui.shell import main

if __name__ == "__main__":
    main()
