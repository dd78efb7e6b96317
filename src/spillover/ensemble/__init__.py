"""spillover.ensemble"""
