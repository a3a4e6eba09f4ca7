"""Protocol profiles per device batch (统一数据传输协议): options, scoring of fits, the service."""
