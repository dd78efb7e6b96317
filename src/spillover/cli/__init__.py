"""spillover.cli"""
