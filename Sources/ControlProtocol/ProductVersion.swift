/// vkserve's release: what `supervisorctl version`, the startup log line and `vkserve_build_info` report.
public enum ProductVersion {
    public static let string = "0.1.0"
}
