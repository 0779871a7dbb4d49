from ish_portal.migrate import schema_differences


def test_migrations_match_the_models(migrated_engine):
    # Run against SQLite by default and against PostgreSQL when ISH_TEST_DATABASE_URL is set.
    assert schema_differences(migrated_engine) == []
