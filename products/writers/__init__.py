"""Writers of the real on-disk formats the readers take (SAFE, L8 Biome scenes, labelled
datasets, GeoTIFFs), for tests, benchmarks and the demo: each fixture is written in the
exact layout, so the reader under test is the real reader."""
