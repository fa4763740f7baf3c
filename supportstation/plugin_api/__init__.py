"""The public, versioned plugin interface: hook specifications and contribution types."""
