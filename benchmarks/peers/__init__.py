"""The reference model (``benchmarks/scenarios/richardson7.yaml``) written for spillover's peers.

``loop_model`` is a plain Python loop, one run at a time; ``ema_model`` wraps it as an EMA
Workbench function model; ``mesa_model`` is a Mesa 3 agent-based model of the same
equations. ``run.py`` times them all against spillover on one design (``make bench-peers``).
"""
