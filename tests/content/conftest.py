import pytest

from designer.store.sample import generate


@pytest.fixture(scope="session")
def shop(tmp_path_factory):
    """A small sample shop (deterministic), shared by the content tests."""
    path = tmp_path_factory.mktemp("content-shop") / "shop.db"
    generate(path, customers=300, days=45, seed=11)
    return path
