"""Small widgets, one a file: lights, banners, pickers and status labels."""
