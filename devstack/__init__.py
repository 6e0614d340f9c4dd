"""The local stack without Docker: a real Kafka broker and PostgreSQL server as processes.

Used by `make run`, `make test` and `make bench`. Servers named by KAFKA_BOOTSTRAP_SERVERS
or DATABASE_URL in the environment are used instead of starting local ones.
"""
