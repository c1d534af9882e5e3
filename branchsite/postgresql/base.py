"""Django's PostgreSQL backend, with prepared statements that never refuse a large statement.

With `server_side_binding` (settings: DJANGO_DB_PREPARE) values travel apart from the SQL, so
PostgreSQL can prepare a statement it has seen before and skip planning it again. The protocol
binds at most 65 535 values to one statement, and Django's backend does not split a larger
one (a bulk delete's list of ids, a large import's insert): such a statement is sent with its
values written into the SQL, as Django's default client-side binding does, and not prepared.
"""

import psycopg
from django.db.backends.postgresql import base as postgresql

MAX_BOUND_VALUES = 65_535


class ServerBindingCursor(postgresql.ServerBindingCursor):
    def execute(self, query, params=None, **kwargs):
        if params is not None and len(params) > MAX_BOUND_VALUES:
            with psycopg.ClientCursor(self.connection) as client:
                query = client.mogrify(query, params)
            params, kwargs["prepare"] = None, False
        return super().execute(query, params, **kwargs)


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is postgresql.ServerBindingCursor:
            params["cursor_factory"] = ServerBindingCursor
        return params
