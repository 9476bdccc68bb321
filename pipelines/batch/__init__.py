"""Batches: many products (paths, globs, folders, lists, STAC) through one job, serially or on Dask."""
