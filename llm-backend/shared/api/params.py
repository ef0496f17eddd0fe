"""Bounded integers for every route parameter and request field that reaches SQL.

An unbounded int lets a client send 9223372036854775808 into an OFFSET or an INTEGER column and
get a 500 from the driver; with these types it is a 422 naming the field. The bounds are plain
`annotated_types` metadata, so one type works as a query or path parameter
(`offset: Offset = 0`, `Annotated[PageNumber, Path(...)]`) and as a Pydantic field, and shows up
as minimum/maximum in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le
from pydantic import Strict

# Deeper than anyone pages by hand; keeps OFFSET far inside PostgreSQL's bigint.
MAX_OFFSET = 1_000_000
MAX_LIMIT = 100
# Far more pages than any school book has; keeps page numbers inside INTEGER columns.
MAX_PAGE_NUMBER = 10_000


Offset = Annotated[int, Ge(0), Le(MAX_OFFSET)]
# A page size of 1..MAX_LIMIT. Lists whose rows are small enough to send more at once spell
# their own `Annotated[int, Ge(1), Le(n)]` alias: an alias built by a function call would be
# a runtime value, not a type, to the type checker.
Limit = Annotated[int, Ge(1), Le(MAX_LIMIT)]
PageNumber = Annotated[int, Ge(1), Le(MAX_PAGE_NUMBER)]
Grade = Annotated[int, Ge(1), Le(12)]
Year = Annotated[int, Ge(1800), Le(2100)]
Age = Annotated[int, Ge(5), Le(18)]
Hours = Annotated[int, Ge(1), Le(24 * 90)]

# JSON bodies: "12", 12.5 and true are not grades or ages; a client sending them has a bug.
StrictGrade = Annotated[Grade, Strict()]
StrictAge = Annotated[Age, Strict()]
# Page numbers of a paged list whose page size is at most MAX_LIMIT: the offset stays bounded.
ListPageNumber = Annotated[int, Ge(1), Le(MAX_OFFSET // MAX_LIMIT)]
