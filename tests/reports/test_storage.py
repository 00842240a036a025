"""Generated files kept by checksum: the same bytes stored from many threads at once (two clicks on
立即发送 in one gunicorn worker) are stored once, and no caller fails."""

from __future__ import annotations

import threading

from tracker.reports import storage


def test_the_same_file_stored_from_many_threads_at_once_is_stored_once(app, tmp_path):
    app.config["REPORT_DIR"] = str(tmp_path)
    content = b"%PDF-1.7 " + bytes(range(256)) * 4096
    start = threading.Barrier(8)
    digests: list[str] = []
    failures: list[BaseException] = []

    def store() -> None:
        with app.app_context():
            start.wait()
            try:
                digests.append(storage.store(content, "pdf"))
            except BaseException as exc:  # noqa: BLE001 - the test reports what any thread raised
                failures.append(exc)

    threads = [threading.Thread(target=store) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures, failures
    assert len(set(digests)) == 1 and len(digests) == 8
    with app.app_context():
        assert storage.load(digests[0], "pdf") == content
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{digests[0]}.pdf"]
