"""spillover.report"""
