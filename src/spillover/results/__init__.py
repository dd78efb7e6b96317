"""spillover.results"""
