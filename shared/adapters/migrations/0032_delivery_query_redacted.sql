-- A delivery's query keeps the values of parameters named like a secret (?token=, ?api_key=,
-- ?sig=) as [redacted] from now on (shared/domain/captured.py, redact_query), as its headers
-- were; the deliveries kept before had them as sent. The same rule, in PostgreSQL's regular
-- expressions, over what is kept.
UPDATE webhook_deliveries
SET query = regexp_replace(
    query,
    '(^|&)((?:[^&=]*(?:signature|token|secret|api[-_]?key|password|authoriz)[^&=]*'
    || '|key|sig|auth|hmac|code|passwd)=)[^&]*',
    '\1\2[redacted]',
    'gi'
)
WHERE query IS NOT NULL;
