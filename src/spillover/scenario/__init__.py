"""spillover.scenario"""
