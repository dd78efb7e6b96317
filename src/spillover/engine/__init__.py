"""spillover.engine"""
