using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Webhook;

/// <summary>The <c>Webhook:Spool</c> section: where pushes wait while MySQL cannot take them (see <see cref="PushSpool"/>).</summary>
public sealed class PushSpoolOptions
{
    public const string Section = "Webhook:Spool";

    /// <summary>
    /// The spool's directory, relative to the content root unless absolute. It must survive the process: a volume the
    /// pod keeps across restarts (a PersistentVolume, not an emptyDir) when the pushes in it must survive a pod eviction.
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Webhook:Spool:Directory is required (a writable directory).")]
    public string Directory { get; set; } = ".data/spool";

    /// <summary>Bytes the spool may hold; a batch that does not fit is answered 503, as when MySQL is away without a spool.</summary>
    [Range(64 * 1024, long.MaxValue, ErrorMessage = "Webhook:Spool:MaxBytes must be at least 64 KiB.")]
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// A batch MySQL has not committed within this is spooled instead. WeChat waits 5 s for an answer and the request
    /// itself gives up after <see cref="WebhookOptions.RecordTimeoutMilliseconds"/>: the budget leaves room for the spool's write.
    /// </summary>
    [Range(50, 2500, ErrorMessage = "Webhook:Spool:CommitBudgetMilliseconds must be between 50 and 2500.")]
    public int CommitBudgetMilliseconds { get; set; } = 1000;

    /// <summary>A segment file is closed and a new one started past this size, so drained segments can be deleted whole.</summary>
    [Range(64 * 1024, int.MaxValue, ErrorMessage = "Webhook:Spool:SegmentBytes must be at least 64 KiB.")]
    public int SegmentBytes { get; set; } = 64 * 1024 * 1024;
}
