"""spillover.data"""
