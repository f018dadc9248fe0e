using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Operations;

/// <summary>The <c>Gateway</c> section.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary><c>Web</c> serves HTTP; <c>Worker</c> runs the queue dispatcher and scheduled jobs.</summary>
    [Required]
    [RegularExpression(@"^\s*(Web|Worker)\s*(,\s*(Web|Worker)\s*)?$", ErrorMessage = "Gateway:Roles must be Web, Worker or Web,Worker.")]
    public string Roles { get; set; } = "Web,Worker";

    public bool RunsWeb => Roles.Contains("Web", StringComparison.Ordinal);

    public bool RunsWorker => Roles.Contains("Worker", StringComparison.Ordinal);
}
