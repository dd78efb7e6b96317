"""spillover: arms transfers between states and their spillover into regional escalation.

Load a scenario, run its ensemble under each policy, and read the claims:

>>> import spillover
>>> sc = spillover.load_scenario("nk-russia-2023")
>>> res = spillover.run(sc, runs=64, seed=7)
>>> list(res.claims.columns)[:4]
['claim', 'policy', 'text', 'expr']
"""

from spillover.api import analyse, resume, run, scenarios, validate
from spillover.results.result import RunResult
from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import copy_builtin, load_scenario, loads_scenario
from spillover.scenario.model import Scenario
from spillover.scenario.summary import summarize

__version__ = "0.1.0"

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "analyse",
    "copy_builtin",
    "load_scenario",
    "loads_scenario",
    "resume",
    "run",
    "scenarios",
    "summarize",
    "validate",
]
