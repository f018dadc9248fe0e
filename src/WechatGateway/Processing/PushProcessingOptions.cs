using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Processing;

/// <summary>The <c>Processing</c> section: the stage that runs the handlers behind the webhook's answer.</summary>
public sealed class PushProcessingOptions
{
    public const string Section = "Processing";

    /// <summary>Pushes one worker claims and processes in one transaction.</summary>
    [Range(1, 2000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// Batches one instance processes at once. Each claims its own rows (SKIP LOCKED), so they overlap their round
    /// trips to MySQL instead of queueing behind one another; more instances add more.
    /// </summary>
    [Range(1, 32)]
    public int Concurrency { get; set; } = 2;

    /// <summary>How long a claim lasts: a worker that dies holding pushes leaves them to another after this.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Attempts before a push whose handler keeps failing is parked as <c>failed</c> for an operator.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// How often an idle worker looks for work. A push recorded by this process wakes it at once; this bounds the lag
    /// of pushes recorded by other instances.
    /// </summary>
    [Range(10, 60_000)]
    public int PollMilliseconds { get; set; } = 200;
}
