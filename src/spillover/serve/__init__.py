"""``spillover serve``: a local web app to move the levers, rerun and compare policies.

The app is a face of the library: it lists and validates scenarios, starts
:func:`spillover.run` with the levers set by hand, and shows the run's claims, figures
and paired comparison. It holds no model logic.

>>> from spillover.serve import create_app
>>> create_app("runs", "scenarios", workers=0).title
'spillover'
"""

from spillover.serve.app import create_app

__all__ = ["create_app"]
