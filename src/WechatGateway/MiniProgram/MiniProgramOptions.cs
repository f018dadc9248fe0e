using System.ComponentModel.DataAnnotations;

namespace WechatGateway.MiniProgram;

/// <summary>The <c>MiniProgram</c> section: limits on what anonymous callers of <c>/api/mp</c> can make the gateway do.</summary>
public sealed class MiniProgramOptions
{
    public const string Section = "MiniProgram";

    /// <summary>Bodies of <c>/api/mp</c> calls are small JSON: anything larger is refused (413) before it is read.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>
    /// Logins (<c>POST /api/mp/{appId}/session</c>, each a <c>jscode2session</c> call to WeChat) one client address may
    /// make per minute; past that, 429 with <c>Retry-After</c>. Phones behind one carrier NAT share an address, so keep
    /// it generous.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "MiniProgram:LoginsPerMinute must be between 1 and 100000.")]
    public int LoginsPerMinute { get; set; } = 60;
}
