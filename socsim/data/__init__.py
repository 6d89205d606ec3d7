"""Built-in platform, workload and mix files, read through :mod:`socsim.catalog`.

``platforms/``, ``workloads/`` and ``mixes/`` hold YAML files in the formats of
``docs/formats.md``. They are generated from DS3 and DS3Gym reference data by
``experiments/convert_ds3.py`` (each file's ``description`` gives its source
repository, commit and file); edit the converter, not the files. This is a
package only so that :mod:`importlib.resources` can find the files.
"""
