"""The shared database: models, repositories, reference data, import/export, migrations."""
