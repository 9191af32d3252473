"""The shared database: SQLAlchemy 2 models, repositories, reference data, import/export, migrations."""
