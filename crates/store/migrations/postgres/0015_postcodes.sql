-- Postcode centroids (from the ONS Postcode Directory, or the demo's generated table), for
-- finding services by distance. Instance-wide, as the public directory is.
CREATE TABLE postcode_centroid (
    postcode  TEXT PRIMARY KEY,
    latitude  DOUBLE PRECISION NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude DOUBLE PRECISION NOT NULL CHECK (longitude BETWEEN -180 AND 180)
);
CREATE INDEX postcode_centroid_place ON postcode_centroid(latitude, longitude);
CREATE INDEX venue_postcode ON venue(postcode);
