"""spillover.report: a run as one self-contained HTML page.

:mod:`.html` renders and writes the page; :mod:`.sections` lists its sections in order
(one context function and one template partial each); :mod:`.tables` and :mod:`.figures`
turn a run's tables into display rows and plotly figures, one module per topic;
:mod:`.format` writes numbers and dates; :mod:`.outcome_labels` groups, names and ranks the
outcome columns.
"""
