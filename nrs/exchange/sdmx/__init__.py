"""SDMX 2.1 export: structures and data, over the SDMX REST pattern at /sdmx/."""
