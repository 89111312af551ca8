"""Before fieldwork and after it: sample sizes, allocation, selection, and weights.

Pure: dataframes in, dataframes and reports out.
"""
