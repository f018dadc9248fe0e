using System.ComponentModel.DataAnnotations;
using System.Net;

namespace WechatGateway.Operations;

/// <summary>The <c>Gateway</c> section.</summary>
public sealed class GatewayOptions : IValidatableObject
{
    public const string Section = "Gateway";

    /// <summary><c>Web</c> serves HTTP; <c>Worker</c> runs the queue dispatcher and scheduled jobs.</summary>
    [Required]
    [RegularExpression(@"^\s*(Web|Worker)\s*(,\s*(Web|Worker)\s*)?$", ErrorMessage = "Gateway:Roles must be Web, Worker or Web,Worker.")]
    public string Roles { get; set; } = "Web,Worker";

    /// <summary>
    /// Addresses (<c>10.0.0.5</c>) or networks (<c>10.0.0.0/24</c>) of the reverse proxies in front of this instance:
    /// only from them are <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> believed, so the admin throttle and the
    /// audit log see the client, not the proxy. Empty (the default): forwarded headers are ignored.
    /// </summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>
    /// When set, <c>/metrics</c>, <c>/openapi</c> and <c>/docs</c> answer only requests that arrive on this local port
    /// (add it to the listening URLs, e.g. <c>--urls http://0.0.0.0:5080;http://127.0.0.1:9090</c>) and 404 on the
    /// others. Unset: they are served on every port, as <c>/healthz</c> and <c>/readyz</c> always are.
    /// </summary>
    [Range(1, 65535, ErrorMessage = "Gateway:OperationsPort must be a port number (1-65535).")]
    public int? OperationsPort { get; set; }

    public bool RunsWeb => Roles.Contains("Web", StringComparison.Ordinal);

    public bool RunsWorker => Roles.Contains("Worker", StringComparison.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        KnownProxies
            .Select((proxy, i) => (proxy, i))
            .Where(p => !IPAddress.TryParse(p.proxy, out _) && !IPNetwork.TryParse(p.proxy, out _))
            .Select(p => new ValidationResult($"Gateway:KnownProxies:{p.i} ('{p.proxy}') is not an IP address or a network such as 10.0.0.0/24.", [nameof(KnownProxies)]));
}
