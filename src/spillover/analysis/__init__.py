"""spillover.analysis"""
