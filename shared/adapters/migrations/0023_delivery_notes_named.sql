-- A delivery's notes name the event field each is about and a stable code, as field errors
-- do: {"path": "images.0.alt", "code": "alt_from_title", "message": "..."}. Notes recorded
-- as plain text before are named by what their text says.
UPDATE webhook_deliveries d SET notes = (
    SELECT jsonb_agg(CASE WHEN jsonb_typeof(n) <> 'string' THEN n ELSE jsonb_build_object(
        'path', CASE
            WHEN n #>> '{}' LIKE 'value ''%' OR n #>> '{}' LIKE 'no value map%'
                 OR n #>> '{}' LIKE 'no classification%' THEN 'classifications'
            WHEN n #>> '{}' LIKE 'description shortened%' THEN 'description'
            WHEN n #>> '{}' LIKE 'price left out%' THEN 'price'
            WHEN n #>> '{}' LIKE 'venue named%' THEN 'venue.name'
            WHEN n #>> '{}' LIKE 'timezone %' THEN 'timezone'
            WHEN n #>> '{}' LIKE '%image %' THEN 'images'
            ELSE 'event' END,
        'code', CASE
            WHEN n #>> '{}' LIKE 'value ''%' THEN 'value_not_mapped'
            WHEN n #>> '{}' LIKE 'no value map%' THEN 'no_value_map'
            WHEN n #>> '{}' LIKE 'no classification%' THEN 'no_classification'
            WHEN n #>> '{}' LIKE 'description shortened%' THEN 'text_shortened'
            WHEN n #>> '{}' LIKE 'price left out%' THEN 'price_without_currency'
            WHEN n #>> '{}' LIKE 'venue named%' THEN 'venue_named_by_address'
            WHEN n #>> '{}' LIKE 'timezone %' THEN 'timezone_from_city'
            WHEN n #>> '{}' LIKE 'an image without a URL%' THEN 'image_without_url'
            WHEN n #>> '{}' LIKE 'image %' THEN 'image_without_alt'
            ELSE 'noted' END,
        'message', n #>> '{}') END ORDER BY i)
    FROM jsonb_array_elements(d.notes) WITH ORDINALITY AS notes(n, i)
)
WHERE jsonb_typeof(d.notes) = 'array'
  AND EXISTS (SELECT 1 FROM jsonb_array_elements(d.notes) n WHERE jsonb_typeof(n) = 'string');
