"""Magnetar's Rust log records in Python's logging, under ``magnetar.*`` loggers."""

import logging

import magnetar


def failing_transport(url: str, headers: dict[str, str]) -> str:
    raise ConnectionError("offline")


def main() -> None:
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("magnetar").setLevel(logging.INFO)
    checker = magnetar.BreachChecker(transport=failing_transport, retries=0)
    for _ in range(6):
        result = checker.check("correct horse battery staple")
        assert result.status == "unknown"  # network trouble is never reported as safe
    magnetar.flush_logs()  # records are handed to logging on a background thread


if __name__ == "__main__":
    main()
