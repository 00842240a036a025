def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")
