"""DuckDB macros for the rest of Hive's built-in functions (bit shifts, bround, conv-free number
formatting, masking, soundex, crc32, hash, parse_url), merged into `duckdb_functions.MACROS`.

Each body is DuckDB SQL reproducing the Hive UDF named in its comment, for the argument types Hive
accepts; where a type cannot be reproduced the body calls `error()` so the query fails loudly.
"""

from __future__ import annotations

_INT32 = "'TINYINT', 'SMALLINT', 'INTEGER'"


def _wrap(value: str, bits: int) -> str:
    """`value` (a HUGEINT) wrapped to a signed integer of `bits` bits, as Java's narrowing does."""
    half = 1 << (bits - 1)
    return f"((({value}) + {half}::HUGEINT) & {(1 << bits) - 1}::HUGEINT) - {half}::HUGEINT"


#: name -> (parameters, body), as `duckdb_functions.MACROS`.
MACROS: dict[str, tuple[str, str]] = {}

# -- numbers -------------------------------------------------------------------------------------------
# bround (GenericUDFBRound): HALF_EVEN; a DOUBLE is rounded on its shortest decimal text, as
# BigDecimal.valueOf does (so bround(2.35, 1) = 2.4).
MACROS["hive_bround"] = (
    "x, d",
    "CASE WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN hive__bround_double(TRY_CAST(x AS DOUBLE), d)"
    " ELSE round_even(x, d) END",
)
MACROS["hive__bround_double"] = (
    "x, d",
    "CASE WHEN isnan(x) OR isinf(x) OR abs(x) >= 1e19 THEN x"
    " ELSE CAST(round_even(CAST(CAST(x AS VARCHAR) AS DECIMAL(38, 18)), d) AS DOUBLE) END",
)
# factorial (GenericUDFFactorial): an INT from 0 to 20, else NULL.
MACROS["hive_factorial"] = ("x", "CASE WHEN x BETWEEN 0 AND 20 THEN CAST(factorial(CAST(x AS INTEGER)) AS BIGINT) END")
# shiftleft/shiftright/shiftrightunsigned (UDFOPBitShift*): Java's <<, >>, >>> on an int (shift
# count mod 32) or a long (mod 64); a TINYINT or SMALLINT is shifted as an int.
MACROS["hive_shiftleft"] = (
    "a, b",
    f"CASE WHEN typeof(a) IN ({_INT32})"
    f" THEN CAST({_wrap('CAST(a AS HUGEINT) * (1::HUGEINT << (b & 31))', 32)} AS INTEGER)"
    f" WHEN typeof(a) = 'BIGINT' THEN CAST({_wrap('CAST(a AS HUGEINT) * (1::HUGEINT << (b & 63))', 64)} AS BIGINT)"
    " ELSE error('elt: shiftleft() takes an integer, not ' || typeof(a)) END",
)
MACROS["hive_shiftright"] = (
    "a, b",
    f"CASE WHEN typeof(a) IN ({_INT32}) THEN CAST(CAST(a AS INTEGER) >> (b & 31) AS INTEGER)"
    " WHEN typeof(a) = 'BIGINT' THEN CAST(CAST(a AS BIGINT) >> (b & 63) AS BIGINT)"
    " ELSE error('elt: shiftright() takes an integer, not ' || typeof(a)) END",
)
MACROS["hive_shiftrightunsigned"] = (
    "a, b",
    f"CASE WHEN typeof(a) IN ({_INT32}) THEN CAST("
    + _wrap("(CAST(a AS HUGEINT) & 4294967295::HUGEINT) >> (b & 31)", 32)
    + " AS INTEGER) WHEN typeof(a) = 'BIGINT' THEN CAST("
    + _wrap("(CAST(a AS HUGEINT) & 18446744073709551615::HUGEINT) >> (b & 63)", 64)
    + " AS BIGINT) ELSE error('elt: shiftrightunsigned() takes an integer, not ' || typeof(a)) END",
)
# width_bucket (GenericUDFWidthBucket): bucket 0 below the range, n + 1 above it; the range may be
# descending.
MACROS["hive_width_bucket"] = (
    "x, lo, hi, n",
    "CASE WHEN n <= 0 THEN error('elt: width_bucket() needs a positive number of buckets')"
    " WHEN lo = hi THEN error('elt: width_bucket() needs a range with two different bounds')"
    " WHEN lo < hi THEN CASE WHEN x < lo THEN 0 WHEN x >= hi THEN n + 1"
    " ELSE CAST(floor((CAST(x AS DOUBLE) - lo) / (CAST(hi AS DOUBLE) - lo) * n) AS INTEGER) + 1 END"
    " ELSE CASE WHEN x > lo THEN 0 WHEN x <= hi THEN n + 1"
    " ELSE CAST(floor((CAST(lo AS DOUBLE) - x) / (CAST(lo AS DOUBLE) - hi) * n) AS INTEGER) + 1 END END",
)
# format_number (GenericUDFFormatNumber): java.text.DecimalFormat '#,##0.00..' rounding HALF_EVEN.
# A double is rounded on its exact binary value (as DecimalFormat does since Java 8, and as DuckDB's
# format does); a decimal HALF_EVEN on its digits first.
# A negative number that rounds to zero keeps its sign ('-0.00').
MACROS["hive_format_number"] = (
    "x, fmt",
    "CASE WHEN typeof(x) LIKE 'DECIMAL%' THEN (CASE WHEN x < 0 AND round_even(x, hive__fmt_digits(fmt)) = 0"
    " THEN '-' ELSE '' END) || format(fmt, CAST(round_even(x, hive__fmt_digits(fmt)) AS DOUBLE))"
    # an integer exactly, not through a double (which would change the digits past 2^53)
    f" WHEN typeof(x) IN ({_INT32}, 'BIGINT') THEN format('{{:,}}', x)"
    " || CASE WHEN hive__fmt_digits(fmt) > 0 THEN '.' || repeat('0', hive__fmt_digits(fmt)) ELSE '' END"
    " ELSE format(fmt, CAST(x AS DOUBLE)) END",
)
MACROS["hive__fmt_digits"] = ("fmt", "CAST(regexp_extract(fmt, '\\.(\\d+)f', 1) AS INTEGER)")
# unhex (UDFUnhex): NULL for a string that is not hexadecimal (DuckDB raises).
MACROS["hive_unhex"] = ("s", "CASE WHEN regexp_full_match(s, '[0-9A-Fa-f]*') THEN unhex(s) END")

# -- strings -------------------------------------------------------------------------------------------
# chr (GenericUDFChr): '' for a negative number, else the character of the low 8 bits.
MACROS["hive_chr"] = ("n", "CASE WHEN n < 0 THEN '' ELSE chr(CAST(CAST(n AS BIGINT) & 255 AS INTEGER)) END")
# quote (GenericUDFQuote): wrapped in single quotes, each quote escaped with a backslash.
MACROS["hive_quote"] = ("s", "'''' || replace(s, '''', '\\''') || ''''")
# mask (GenericUDFMask) on a string: upper-case letters, lower-case letters and digits replaced by
# their mask characters (Character.getType: Lu, Ll, Nd), other characters kept.
MACROS["hive_mask"] = (
    "s, u, l, d",
    "CASE WHEN typeof(s) = 'VARCHAR' OR s IS NULL THEN regexp_replace(regexp_replace(regexp_replace("
    "CAST(s AS VARCHAR), '\\p{Lu}', u, 'g'), '\\p{Ll}', l, 'g'), '\\p{Nd}', d, 'g')"
    " ELSE error('elt: mask() is translated for strings only, not ' || typeof(s)) END",
)
MACROS["hive__mask_n"] = ("n", "greatest(coalesce(n, 0), 0)")
MACROS["hive_mask_first_n"] = (
    "s, n", "hive_mask(left(s, hive__mask_n(n)), 'X', 'x', 'n') || substr(s, hive__mask_n(n) + 1)"
)
MACROS["hive_mask_last_n"] = (
    "s, n",
    "left(s, greatest(length(s) - hive__mask_n(n), 0))"
    " || hive_mask(right(s, hive__mask_n(n)), 'X', 'x', 'n')",
)
MACROS["hive_mask_show_first_n"] = (
    "s, n", "left(s, hive__mask_n(n)) || hive_mask(substr(s, hive__mask_n(n) + 1), 'X', 'x', 'n')"
)
MACROS["hive_mask_show_last_n"] = (
    "s, n",
    "hive_mask(left(s, greatest(length(s) - hive__mask_n(n), 0)), 'X', 'x', 'n') || right(s, hive__mask_n(n))",
)
# soundex (GenericUDFSoundex -> commons-codec Soundex): letters only, H and W after the first letter
# ignored, a code equal to the previous one (vowels reset it) dropped, padded to 4. A non-ASCII letter
# makes commons-codec throw.
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CODES = "01230120022455012623010202"
_collapse = "c"
for _digit in "0123456":
    _collapse = f"regexp_replace({_collapse}, '{_digit}{_digit}+', '{_digit}', 'g')"
MACROS["hive__soundex_codes"] = ("c", _collapse)
MACROS["hive_soundex"] = (
    "s",
    "CASE WHEN regexp_matches(s, '[^\\x00-\\x7F]') AND regexp_matches(s, '\\pL')"
    " THEN error('elt: soundex() of a non-ASCII letter fails in Hive')"
    " ELSE list_transform([upper(regexp_replace(s, '[^A-Za-z]', '', 'g'))], lambda _c:"
    " CASE WHEN _c = '' THEN '' ELSE left(_c, 1) || rpad(left(replace(substr(hive__soundex_codes(translate("
    f"left(_c, 1) || replace(replace(substr(_c, 2), 'H', ''), 'W', ''), '{_LETTERS}', '{_CODES}')), 2), '0', ''), 3),"
    " 3, '0') END)[1] END",
)

# -- hashes --------------------------------------------------------------------------------------------
MACROS["hive__bytes"] = (
    "h", "list_transform(range(0, length(h) // 2), lambda _i: CAST('0x' || substr(h, 2 * _i + 1, 2) AS INTEGER))"
)
# crc32 (UDFCrc32): CRC-32 (polynomial 0xEDB88320) of the UTF-8 bytes, a BIGINT.
MACROS["hive_crc32"] = (
    "s",
    "CASE WHEN s IS NOT NULL THEN xor(list_reduce(hive__bytes(hex(s)), lambda _c, _b: list_reduce(range(8),"
    " lambda _r, _k: xor(_r >> 1, (_r & 1) * 3988292384), xor(_c, _b)), 4294967295::BIGINT), 4294967295) END",
)
# hash (GenericUDFHash -> ObjectInspectorUtils.hashCode): a string hashes its UTF-8 bytes as signed
# Java bytes (h = 31 * h + b), an INT is itself, a BIGINT folds its halves, NULL is 0.
MACROS["hive__hash_one"] = (
    "x",
    "CASE WHEN x IS NULL THEN 0"
    " WHEN typeof(x) = 'VARCHAR' THEN list_reduce(hive__bytes(hex(CAST(x AS VARCHAR))), lambda _h, _b: CAST("
    + _wrap("CAST(_h AS HUGEINT) * 31 + CASE WHEN _b > 127 THEN _b - 256 ELSE _b END", 32)
    + " AS BIGINT), 0::BIGINT)"
    f" WHEN typeof(x) IN ({_INT32}) THEN TRY_CAST(x AS BIGINT)"
    " WHEN typeof(x) = 'BIGINT' THEN CAST("
    + _wrap("xor(TRY_CAST(x AS HUGEINT) & 18446744073709551615::HUGEINT, (TRY_CAST(x AS HUGEINT)"
            " & 18446744073709551615::HUGEINT) >> 32)", 32)
    + " AS BIGINT)"
    " WHEN typeof(x) = 'BOOLEAN' THEN CASE WHEN TRY_CAST(x AS BOOLEAN) THEN 1 ELSE 0 END"
    " ELSE error('elt: hash() is translated for strings, integers and booleans, not ' || typeof(x)) END",
)
MACROS["hive__hash_step"] = ("h, x", f"CAST({_wrap('CAST(h AS HUGEINT) * 31 + hive__hash_one(x)', 32)} AS INTEGER)")

# -- URLs ------------------------------------------------------------------------------------------------
# parse_url (UDFParseUrl -> java.net.URL): protocol://[userinfo@]host[:port][path][?query][#ref]; a
# protocol java.net.URL does not know makes the URL malformed (NULL).
_URL = "^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(\\?[^#]*)?(#.*)?$"
MACROS["hive__url"] = (
    "u",
    f"CASE WHEN lower(regexp_extract(u, '{_URL}', 1)) IN ('http', 'https', 'ftp', 'file', 'jar')"
    f" THEN regexp_extract(u, '{_URL}', ['protocol', 'authority', 'path', 'query', 'ref']) END",
)
MACROS["hive_parse_url_part"] = (
    "u, part",
    "list_transform([hive__url(u)], lambda _u: CASE part"
    " WHEN 'PROTOCOL' THEN _u.protocol"
    " WHEN 'AUTHORITY' THEN _u.authority"
    " WHEN 'HOST' THEN regexp_extract(_u.authority, '^(?:[^@]*@)?([^:]*)', 1)"
    " WHEN 'USERINFO' THEN CASE WHEN contains(_u.authority, '@') THEN regexp_extract(_u.authority, '^([^@]*)@', 1) END"
    " WHEN 'PATH' THEN _u.path"
    " WHEN 'QUERY' THEN CASE WHEN _u.query <> '' THEN substr(_u.query, 2) END"
    " WHEN 'REF' THEN CASE WHEN _u.ref <> '' THEN substr(_u.ref, 2) END"
    " WHEN 'FILE' THEN _u.path || _u.query END)[1]",
)
MACROS["hive_parse_url_query"] = (
    "u, pattern",
    "list_transform([hive_parse_url_part(u, 'QUERY')], lambda _q:"
    " CASE WHEN regexp_matches(_q, pattern) THEN regexp_extract(_q, pattern, 2) END)[1]",
)
# regr_slope/regr_intercept/regr_r2 (GenericUDAFBinarySetFunctions): NULL where DuckDB gives NaN (x
# constant, or fewer than two pairs).
MACROS["hive__nan_null"] = ("x", "CASE WHEN isnan(x) THEN NULL ELSE x END")

# -- conv ------------------------------------------------------------------------------------------------
# conv (UDFConv): the digits of `n` in base `f` up to the first character that is not one, read as an
# unsigned 64-bit number (all ones on overflow); a leading '-' negates it (two's complement) when `t`
# is positive; a negative `t` prints the value as signed. Bases outside 2..36 (by absolute value) or
# an empty `n` give NULL.
_U64 = "18446744073709551615::HUGEINT"
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MACROS["hive__conv_digits"] = (
    "s, radix",
    "list_transform([list_transform(string_split(s, ''), lambda _c: CASE WHEN _c BETWEEN '0' AND '9'"
    " THEN ascii(_c) - 48 WHEN lower(_c) BETWEEN 'a' AND 'z' AND length(_c) = 1 THEN ascii(lower(_c)) - 87"
    " ELSE 99 END)], lambda _d:"
    " CASE WHEN list_position(list_transform(_d, lambda _x: _x >= radix), true) IS NULL"
    " THEN _d ELSE _d[1:list_position(list_transform(_d, lambda _x: _x >= radix), true) - 1] END)[1]",
)
MACROS["hive__conv_value"] = (
    "digits, radix",
    "list_transform([list_reduce(digits, lambda _v, _d: CASE WHEN _v < 0 THEN _v"
    f" WHEN _v * radix + _d > {_U64} THEN -1::HUGEINT ELSE _v * radix + _d END, 0::HUGEINT)],"
    f" lambda _v: CASE WHEN _v < 0 THEN {_U64} ELSE _v END)[1]",
)
MACROS["hive__conv_encode"] = (
    "v, b",
    f"CASE WHEN v // b = 0 THEN '' ELSE to_base(CAST(v // b AS BIGINT), b) END"
    f" || substr('{_DIGITS}', CAST(v % b AS INTEGER) + 1, 1)",
)
MACROS["hive_conv"] = (
    "n, f, t",
    "CASE WHEN n IS NULL OR f IS NULL OR t IS NULL OR f < 2 OR f > 36 OR abs(t) < 2 OR abs(t) > 36"
    " OR CAST(n AS VARCHAR) = '' THEN NULL"
    # Spark trims the number first; whether a Hive version does is not checked: fail loudly.
    " WHEN regexp_matches(CAST(n AS VARCHAR), '^\\s') THEN error('elt: conv() of a number with leading"
    " white space is not translated')"
    # Hexadecimal to decimal of up to 15 digits (a value below 2**60, as `elt diff` sums md5 slices):
    # DuckDB's own '0x' cast gives the same digits, ten times faster than the general way below.
    " WHEN f = 16 AND t = 10 AND regexp_full_match(CAST(n AS VARCHAR), '[0-9a-fA-F]{1,15}')"
    " THEN CAST(CAST('0x' || CAST(n AS VARCHAR) AS BIGINT) AS VARCHAR)"
    " ELSE"
    " list_transform([{'neg': left(CAST(n AS VARCHAR), 1) = '-', 'v': hive__conv_value(hive__conv_digits("
    "CASE WHEN left(CAST(n AS VARCHAR), 1) = '-' THEN substr(CAST(n AS VARCHAR), 2) ELSE CAST(n AS VARCHAR) END,"
    " f), f)}],"
    " lambda _a: list_transform([CASE WHEN _a.neg AND t > 0"
    f" THEN CASE WHEN _a.v >= 9223372036854775808::HUGEINT THEN {_U64} ELSE ({_U64} + 1 - _a.v) % ({_U64} + 1) END"
    " ELSE _a.v END], lambda _v: CASE WHEN t < 0 AND _v >= 9223372036854775808::HUGEINT"
    f" THEN '-' || hive__conv_encode({_U64} + 1 - _v, abs(t))"
    " ELSE (CASE WHEN _a.neg AND t < 0 THEN '-' ELSE '' END) || hive__conv_encode(_v, abs(t)) END)[1])[1] END",
)
