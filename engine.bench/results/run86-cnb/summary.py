#!/usr/bin/env python3
"""run85-rww's summary.py over this directory's runs: python3 summary.py rww-base rww-new rww-new2."""
import os
here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, '..', 'run85-rww', 'summary.py')).read()
exec(compile(src.replace("os.path.dirname(os.path.abspath(__file__))", repr(here)), 'summary.py', 'exec'))
