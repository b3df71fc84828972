"""The frame every API resource uses: token auth, rate limits, lenient bodies, HAL+JSON, paging.

One view per path; `endpoint()` wraps the path's operations (built by the route table in
routes.py), each a handler and the schema its body must fit, so each handler only reads its
input and returns a dict. Errors are `{"error": ...}` with a 4xx status.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from turnout.accounts.models import ApiToken, Group, Role, StaffRole, User
from turnout.accounts.permissions import best_role
from turnout.accounts.services import note_token_use
from turnout.api import odata, openapi
from turnout.core.dangerous import Refused

MAX_PER_PAGE = 25
MAX_PAGE = 10_000_000
COUNT_SECONDS = 120
PREFIX = "action_network:"
# The answer's list of the fields a write left out because Turnout does not keep such data.
REFUSED_FIELDS = "turnout:refused_fields"
CONTENT_TYPE = "application/hal+json"
# Query parameters that steer the API itself; never taken as body fields.
CONTROL_PARAMETERS = {"page", "per_page", "filter", "background_processing"}


class ApiError(Exception):
    """Answered as {"error": message} with this status."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def not_found(kind: str, identifier: str) -> ApiError:
    return ApiError(404, f"Couldn't find {kind} with id = {identifier}")


@dataclass
class Call:
    """One authenticated API request: who is asking and the absolute base for links."""

    request: HttpRequest
    token: ApiToken
    base: str
    body: dict[str, Any] = field(default_factory=dict)
    # Fields of the body that were not stored (core.dangerous); the answer lists them.
    refused: list[Refused] = field(default_factory=list)
    # The user's role in each group asked about, for this request (a write asks twice or more).
    roles: dict[int, str | None] = field(default_factory=dict)

    @property
    def user(self) -> User:
        return self.token.user

    @property
    def group(self) -> Group:
        return self.token.group

    def url(self, path: str = "") -> str:
        return self.base + path

    def may(self, group: Group, role: str) -> bool:
        """Does the token's user hold `role` (or higher) in `group`, as `has_role` answers?"""
        if group.pk not in self.roles:
            self.roles[group.pk] = role_in(self.token, group)
        held = self.roles[group.pk]
        return held is not None and Role.rank(held) >= Role.rank(role)

    def require_write(self) -> None:
        """Changing data needs an organizer role in the token's group."""
        if not self.may(self.group, Role.ORGANIZER):
            raise ApiError(403, "This token can only read: its user is not an organizer in "
                                f"{self.group.name}.")


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@functools.cache
def _token_sql(vendor: str) -> str:
    """The query `authenticate` reads a token with: the token's, its user's and its group's
    columns, then every role the user holds as "role path" pairs joined by commas (a role and a
    materialized path hold neither). Written once as SQL: compiling the ORM's join for every
    request cost more than the database spends answering it."""
    def columns(model: type[Model], alias: str) -> str:
        return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)

    joined = "string_agg(r.role || ' ' || g.path, ',')" if vendor == "postgresql" else \
        "group_concat(r.role || ' ' || g.path, ',')"
    token, user, group = (model._meta.db_table for model in (ApiToken, User, Group))
    return (f"SELECT {columns(ApiToken, 't')}, {columns(User, 'u')}, {columns(Group, 'tg')}, "  # noqa: S608 — names come from model metadata
            f"(SELECT {joined} FROM {StaffRole._meta.db_table} r JOIN {group} g ON g.id = r.group_id "
            f"WHERE r.user_id = t.user_id) FROM {token} t JOIN {user} u ON u.id = t.user_id "
            f"JOIN {group} tg ON tg.id = t.group_id WHERE t.key_digest = %s AND t.revoked_at IS NULL")


def _read_token(digest: str) -> ApiToken | None:
    """The token of this digest, not revoked, with its user, its group and the user's roles."""
    with connection.cursor() as cursor:
        cursor.execute(_token_sql(connection.vendor), [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    built: list[Model] = []
    for model, names, converters in _readers(connection.vendor):
        taken, values = values[:len(names)], values[len(names):]
        for index, convert in converters:
            taken[index] = convert(taken[index])
        built.append(model.from_db(connection.alias, names, taken))
    token, user, group = built
    assert isinstance(token, ApiToken) and isinstance(user, User) and isinstance(group, Group)
    token.user, token.group = user, group
    token.held_roles = values[0] or ""  # type: ignore[attr-defined]
    return token


@functools.cache
def _readers(vendor: str) -> list[tuple[type[Model], list[str], list[tuple[int, Callable[[Any], Any]]]]]:
    """For each model `_token_sql` reads: its field names, and how to turn a column's value into
    what the ORM would give (SQLite answers text for dates and uuids)."""
    readers: list[tuple[type[Model], list[str], list[tuple[int, Callable[[Any], Any]]]]] = []
    for model in (ApiToken, User, Group):
        fields = model._meta.concrete_fields
        converters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, model_field in enumerate(fields):
            column = model_field.get_col(model._meta.db_table)
            found = column.get_db_converters(connection) + connection.ops.get_db_converters(column)
            if found:
                converters.append((index, functools.partial(_convert, found, column)))
        readers.append((model, [field.attname for field in fields], converters))
    return readers


def _convert(converters: list[Callable[..., Any]], column: Any, value: Any) -> Any:
    for convert in converters:
        value = convert(value, column, connection)
    return value


def authenticate(request: HttpRequest) -> ApiToken:
    """The request's token, its user and every role the user holds, read in one query on every
    request and never kept between requests: a revoked token, a deactivated user or a role taken
    away is refused on the very next request, in every process."""
    key = (request.headers.get("OSDI-API-Token") or "").strip()
    if not key:
        raise ApiError(401, "Send your API token in the OSDI-API-Token header.")
    token = _read_token(token_digest(key))
    if token is None or not token.user.is_active:
        raise ApiError(401, "That API token is not valid; it may have been revoked.")
    if role_in(token, token.group) is None:
        raise ApiError(403, f"The token's user no longer holds a role in {token.group.name}.")
    note_token_use(token=token)
    return token


def role_in(token: ApiToken, group: Group) -> str | None:
    """The highest role the token's user holds in `group` or any group above it, as
    `accounts.permissions.best_role` answers, from the roles read with the token (`authenticate`)."""
    user = token.user
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    if not hasattr(token, "held_roles"):  # a token not read by `authenticate`
        return best_role(user, group)
    held: list[tuple[str, str]] | None = getattr(token, "_held", None)
    if held is None:
        text: str = getattr(token, "held_roles", None) or ""
        held = [(pair.partition(" ")[0], pair.partition(" ")[2]) for pair in text.split(",") if pair]
        token._held = held  # type: ignore[attr-defined]
    # A role reaches every group below its own: its group's path begins the other's.
    roles = [role for role, path in held if path and group.path.startswith(path)]
    return max(roles, key=Role.rank, default=None)


def check_rate(token: ApiToken) -> None:
    """A fixed window per token, counted in the cache (shared across workers with Redis)."""
    limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW_SECONDS
    if limit <= 0:
        return
    now = time.time()
    slot = int(now // window)
    key = f"api-rate:{token.pk}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # the entry expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        used = 1
    if used > limit:
        retry = max(1, math.ceil((slot + 1) * window - now))
        raise ApiError(429, f"Too many requests: this token may make {limit} every {window} seconds. "
                            f"Try again in {retry} seconds.", {"Retry-After": str(retry)})


# Deep enough for any body the document describes (a person's address's location is five
# levels down), shallow enough that nothing after the parser recurses far.
MAX_BODY_DEPTH = 32


@dataclass
class Body:
    """A write's input: the fields, and whether they came as JSON (the document describes JSON;
    form and query-string bodies are a lenient path for clients that claim JSON and send neither)."""

    data: dict[str, Any]
    json: bool
    empty: bool = False


def parse_body(request: HttpRequest) -> Body:
    """JSON, else form-encoded, else the query string: clients claim JSON and send any of them.

    The one reader of API bodies: whatever a client sends ends here as a Body or an ApiError
    (400), never as an exception deeper in."""
    try:
        raw = request.body.strip()
    except RequestDataTooBig:
        raise ApiError(400, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.") \
            from None
    if raw and raw != b"null":
        try:
            data = json.loads(raw, parse_constant=_no_constants, parse_float=_finite)
        except RecursionError:
            raise ApiError(400, f"The request body is nested too deeply: at most {MAX_BODY_DEPTH} levels.") \
                from None
        except (ValueError, UnicodeDecodeError) as exc:
            if raw[:1] in (b"{", b"["):
                raise ApiError(400, f"The request body is not valid JSON: {str(exc)[:120]}") from None
            return Body(_plain(_form(raw)), json=False)
        if not isinstance(data, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        _check_values(data)
        return Body(data, json=True)
    fields = _plain(request.GET, skip=CONTROL_PARAMETERS)
    return Body(fields, json=False, empty=not fields)


def _form(raw: bytes) -> QueryDict:
    try:
        form = QueryDict(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "The request body is neither JSON nor form data.") from None
    except TooManyFieldsSent:
        raise ApiError(400, f"The request body has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields.") \
            from None
    if form and all(key.strip() for key in form):
        return form
    raise ApiError(400, "The request body is not valid JSON.")


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large a number")
    return number


def _check_values(data: dict[str, Any]) -> None:
    """Depth, and text PostgreSQL can store: no NUL, no lone surrogate (JSON can escape both),
    checked without recursion so that no body is too deep for the check itself."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            items: list[Any] = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            items = value
        else:
            _check_text(value)
            continue
        if depth > MAX_BODY_DEPTH:
            raise ApiError(400, f"The request body is nested too deeply: at most {MAX_BODY_DEPTH} levels.")
        stack.extend((item, depth + 1) for item in items)


def _check_text(value: Any) -> None:
    if not isinstance(value, str):
        return
    if "\x00" in value:
        raise ApiError(400, "Text may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "Text may not contain unpaired surrogates (\\ud800 to \\udfff).") from None


def _plain(query: QueryDict, skip: Iterable[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in query:
        if key in skip:
            continue
        values = query.getlist(key)
        for value in values:
            _check_text(value)
        out[key] = values[0] if len(values) == 1 else values
    return out


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> HttpResponse:
    return json_response({"error": message}, status, headers)


Handler = Callable[..., Any]


@dataclass(frozen=True)
class Operation:
    """One method of one path: its handler, and the OpenAPI schema its JSON body must fit (if any)."""

    handler: Handler
    body: str | None = None


def endpoint(operations: Mapping[str, Operation]) -> Callable[..., HttpResponse]:
    """A view for one path: authenticate, rate-limit, check the body, dispatch by method, answer HAL+JSON."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        operation = operations.get(request.method.lower() if request.method else "")
        if operation is None:
            allowed = ", ".join(sorted(m.upper() for m in operations))
            return error_response(405, f"{request.method} is not supported here; use {allowed}.",
                                  {"Allow": allowed})
        try:
            token = authenticate(request)
            check_rate(token)
            call = Call(request=request, token=token, base=request.build_absolute_uri("/api/v2/"))
            try:
                query = request.GET
            except TooManyFieldsSent:
                raise ApiError(400, f"The query string has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} "
                                    "parameters.") from None
            if any("\x00" in value for values in query.lists() for value in values[1]):
                raise ApiError(400, "Query parameters may not contain NUL characters.")
            if request.method in ("POST", "PUT", "PATCH"):
                body = parse_body(request)
                if operation.body is not None:
                    problem = openapi.body_problem(operation.body, body.data, json=body.json, missing=body.empty)
                    if problem:
                        raise ApiError(400, problem)
                call.body = body.data
            result = operation.handler(call, **{k: strip_prefix(v) for k, v in kwargs.items()})
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.headers)
        except ValidationError as exc:
            return error_response(400, " ".join(exc.messages))
        if call.refused:
            result = with_refusals(result, call.refused)
        if isinstance(result, HttpResponse):
            return result
        return json_response(result)

    return view


def with_refusals(result: Any, refused: list[Refused]) -> Any:
    """A successful write's answer, saying which fields were not stored and why: the record as
    Action Network shapes it, with one Turnout field beside it."""
    listed = [entry.as_dict() for entry in refused]
    if isinstance(result, dict):
        return {**result, REFUSED_FIELDS: listed}
    if isinstance(result, HttpResponse) and result.status_code < 300 and result["Content-Type"] == CONTENT_TYPE:
        data = json.loads(result.content)
        if isinstance(data, dict):
            result.content = json.dumps({**data, REFUSED_FIELDS: listed}, ensure_ascii=False).encode()
    return result


def strip_prefix(identifier: str) -> str:
    """Path ids may carry the `action_network:` prefix; URLs otherwise use the bare uuid."""
    return identifier[len(PREFIX):] if identifier.startswith(PREFIX) else identifier


def get_by_public_id(queryset: QuerySet[Any], identifier: str, kind: str) -> Any:
    try:
        return queryset.get(public_id=identifier)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        raise not_found(kind, identifier) from None


def stamp(moment: datetime | None) -> str | None:
    """ISO-8601 UTC with Z, to the second, as Action Network writes dates."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identifiers(obj: Model) -> list[str]:
    return [f"{PREFIX}{obj.public_id}"]  # type: ignore[attr-defined]


def curies(base: str) -> list[dict[str, Any]]:
    return [
        {"name": "osdi", "href": base + "docs/{rel}", "templated": True},
        {"name": "action_network", "href": base + "docs/{rel}", "templated": True},
    ]


def link(href: str) -> dict[str, str]:
    return {"href": href}


# Collections ---------------------------------------------------------------------------


def _int_parameter(call: Call, name: str, default: int, maximum: int | None = MAX_PAGE) -> int:
    """A whole number from 1 up, in ASCII digits, at most `maximum` (else a 400). With no maximum
    any size is taken: per_page above 25 is served as 25, as Action Network does."""
    if name not in call.request.GET:
        return default
    raw = call.request.GET[name]
    if not raw.isascii() or not raw.isdigit():
        raise ApiError(400, f"{name} must be a whole number, not “{raw[:20]}”.")
    value = int(raw) if len(raw) <= 18 else 10**18  # int() refuses thousands of digits; all are "too many"
    if value < 1:
        raise ApiError(400, f"{name} must be 1 or more.")
    if maximum is not None and value > maximum:
        raise ApiError(400, f"{name} must be between 1 and {maximum}.")
    return value


def collection(
    call: Call,
    *,
    queryset: QuerySet[Any],
    key: str,
    path: str,
    serialize: Callable[[Any], dict[str, Any]],
    filters: Mapping[str, odata.Condition] | None = None,
    prefetch: Callable[[list[Any]], None] | None = None,
) -> dict[str, Any]:
    """One page of a collection, in primary-key order, with absolute self/next/previous links.

    Clients page by number (`page=N`); each page remembers where it ended in the cache,
    so the next page starts from that key instead of an OFFSET that grows with N.
    """
    page = _int_parameter(call, "page", 1)
    per_page = min(_int_parameter(call, "per_page", MAX_PER_PAGE, maximum=None), MAX_PER_PAGE)
    text = call.request.GET.get("filter", "")
    if filters is not None and text:
        try:
            condition = odata.parse(text, filters)
        except odata.FilterError as exc:
            raise ApiError(400, str(exc)) from None
        if condition is not None:
            queryset = queryset.filter(condition)
    queryset = queryset.order_by("pk")
    # Counting every visible record costs more than fetching a page, so a walk counts once,
    # on page 1, and later pages reuse that figure for a short while. A record added
    # mid-walk still appears (pages are fetched live); only the total lags.
    count_key = _boundary_key(call, path, text, 0, 0)
    total = cache.get(count_key) if page > 1 else None
    if total is None:
        total = queryset.count()
        cache.set(count_key, total, timeout=COUNT_SECONDS)
    total_pages = math.ceil(total / per_page)
    resume = _boundary_key(call, path, text, per_page, page - 1)
    after = cache.get(resume) if page > 1 else None
    if after is not None:
        items = list(queryset.filter(pk__gt=after)[:per_page])
    else:
        start = (page - 1) * per_page
        items = list(queryset[start:start + per_page])
    if items:
        cache.set(_boundary_key(call, path, text, per_page, page), items[-1].pk, timeout=600)
    if prefetch is not None:
        prefetch(items)
    embedded = [serialize(item) for item in items]

    def page_url(number: int) -> str:
        params: dict[str, Any] = {"page": number, "per_page": per_page}
        if text:
            params["filter"] = text
        return call.url(path) + "?" + urlencode(params)

    links: dict[str, Any] = {"self": link(page_url(page))}
    if page < total_pages:
        links["next"] = link(page_url(page + 1))
    if page > 1:
        links["previous"] = link(page_url(min(page - 1, max(total_pages, 1))))
    links[key] = [link(item["_links"]["self"]["href"]) for item in embedded]
    links["curies"] = curies(call.base)
    return {
        "total_pages": total_pages,
        "per_page": per_page,
        "page": page,
        "total_records": total,
        "_links": links,
        "_embedded": {key: embedded},
    }


def _boundary_key(call: Call, path: str, text: str, per_page: int, page: int) -> str:
    digest = hashlib.sha256(f"{call.token.pk}|{path}|{text}|{per_page}|{page}".encode()).hexdigest()[:32]
    return f"api-page:{digest}"


def empty_collection(key: str) -> Handler:
    """A collection Turnout keeps no data for: clients get an empty page, not an error."""

    def handler(call: Call, **kwargs: Any) -> dict[str, Any]:
        path = call.request.path.split("/api/v2/", 1)[-1].rstrip("/")
        return collection(call, queryset=ApiToken.objects.none(), key=key, path=path, serialize=dict)

    return handler
