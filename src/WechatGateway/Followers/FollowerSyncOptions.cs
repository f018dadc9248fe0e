using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Followers;

/// <summary>The <c>FollowerSync</c> section: the import of existing followers and the WeChat tag mirror.</summary>
public sealed class FollowerSyncOptions
{
    public const string Section = "FollowerSync";

    /// <summary>
    /// WeChat API calls a sync makes per second and account (user/get, batchget). WeChat's daily quotas (user/get 500,
    /// batchget in the hundreds of thousands for a large account) allow a full import a day; a quota error (45009)
    /// pauses the sync rather than failing it.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "FollowerSync:CallsPerSecond must be between {1} and {2}.")]
    public int CallsPerSecond { get; set; } = 20;

    /// <summary>Attempts of one WeChat call that fails transiently (-1, a timeout) before its followers count as failed.</summary>
    [Range(1, 50, ErrorMessage = "FollowerSync:Attempts must be between {1} and {2}.")]
    public int Attempts { get; set; } = 12;

    /// <summary>How long a worker holds a sync without progress before another may take it over.</summary>
    [Range(5, 3600, ErrorMessage = "FollowerSync:LeaseSeconds must be between {1} and {2}.")]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How long a sync waits after WeChat said its daily quota is used up (45009).</summary>
    [Range(1, 1440, ErrorMessage = "FollowerSync:QuotaPauseMinutes must be between {1} and {2}.")]
    public int QuotaPauseMinutes { get; set; } = 60;

    /// <summary>How often an idle worker looks for a sync to run and for mirrored tags to bring in step.</summary>
    [Range(1, 3600, ErrorMessage = "FollowerSync:PollSeconds must be between {1} and {2}.")]
    public int PollSeconds { get; set; } = 10;
}
