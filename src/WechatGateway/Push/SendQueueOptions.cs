using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Push;

/// <summary>The <c>SendQueue</c> section: the outbox relay and the dispatcher that sends through WeChat's API.</summary>
public sealed class SendQueueOptions : IValidatableObject
{
    public const string Section = "SendQueue";

    /// <summary>Sends the relay moves to the stream, and a dispatcher reads and sends, per round.</summary>
    [Range(1, 1000, ErrorMessage = "SendQueue:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// Streams the queue is split into (a send goes to partition <c>id % Partitions</c>; every dispatcher reads them all).
    /// On a Redis Cluster they spread over the masters, so that no one node carries the whole queue; 6 gives 2, 3 or 6
    /// masters equal parts. Every worker must have the same value; entries of partitions dropped by lowering it are
    /// queued again by the relay after <see cref="RequeueAfterSeconds"/>.
    /// </summary>
    [Range(1, 64, ErrorMessage = "SendQueue:Partitions must be between {1} and {2}.")]
    public int Partitions { get; set; } = 6;

    /// <summary>WeChat calls one dispatcher has in flight at once.</summary>
    [Range(1, 1024, ErrorMessage = "SendQueue:MaxConcurrency must be between {1} and {2}.")]
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>
    /// How often an idle relay looks for pending sends. A send added in this process wakes it at once; this bounds the
    /// wait of sends added by other instances and of sends whose retry time has come.
    /// </summary>
    [Range(10, 60_000, ErrorMessage = "SendQueue:RelayPollMilliseconds must be between {1} and {2}.")]
    public int RelayPollMilliseconds { get; set; } = 100;

    /// <summary>How often an idle dispatcher reads the stream (StackExchange.Redis cannot block on XREADGROUP).</summary>
    [Range(5, 60_000, ErrorMessage = "SendQueue:DispatchPollMilliseconds must be between {1} and {2}.")]
    public int DispatchPollMilliseconds { get; set; } = 50;

    /// <summary>Attempts before a send that keeps failing (-1, timeouts, quota back-offs) goes to the dead letters.</summary>
    [Range(1, 100, ErrorMessage = "SendQueue:MaxAttempts must be between {1} and {2}.")]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>First retry delay; each further attempt doubles it (with ±25% jitter) up to <see cref="BackoffMaxSeconds"/>.</summary>
    [Range(10, 600_000, ErrorMessage = "SendQueue:BackoffBaseMilliseconds must be between {1} and {2}.")]
    public int BackoffBaseMilliseconds { get; set; } = 2000;

    [Range(1, 86_400, ErrorMessage = "SendQueue:BackoffMaxSeconds must be between {1} and {2}.")]
    public int BackoffMaxSeconds { get; set; } = 300;

    /// <summary>Sends per second per account, across all dispatchers (a token bucket in Redis).</summary>
    [Range(1, 100_000, ErrorMessage = "SendQueue:PerAccountPerSecond must be between {1} and {2}.")]
    public int PerAccountPerSecond { get; set; } = 500;

    /// <summary>
    /// How long a stream entry may sit unacknowledged with one consumer before another claims it (XAUTOCLAIM): the
    /// time after which a dispatcher that read entries is presumed dead. Keep it above <see cref="LeaseSeconds"/>.
    /// </summary>
    [Range(100, 3_600_000, ErrorMessage = "SendQueue:ClaimIdleMilliseconds must be between {1} and {2}.")]
    public int ClaimIdleMilliseconds { get; set; } = 60_000;

    /// <summary>
    /// How long a dispatcher's hold on its sends lasts without renewal; it is renewed every third of this while the
    /// batch is sent, so this is how soon a dead dispatcher's sends go to another.
    /// </summary>
    [Range(1, 3600, ErrorMessage = "SendQueue:LeaseSeconds must be between {1} and {2}.")]
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>A <c>queued</c> send with no live lease for this long (its entry lost with a Redis failover) is queued again.</summary>
    [Range(10, 86_400, ErrorMessage = "SendQueue:RequeueAfterSeconds must be between {1} and {2}.")]
    public int RequeueAfterSeconds { get; set; } = 600;

    /// <summary>Entries the dead-letter stream keeps (approximate trimming); the rows stay in MySQL regardless.</summary>
    [Range(100, 10_000_000, ErrorMessage = "SendQueue:DeadLetterMaxLength must be between {1} and {2}.")]
    public int DeadLetterMaxLength { get; set; } = 100_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BackoffBaseMilliseconds > BackoffMaxSeconds * 1000)
        {
            yield return new ValidationResult("SendQueue:BackoffBaseMilliseconds must not exceed SendQueue:BackoffMaxSeconds.", [nameof(BackoffBaseMilliseconds)]);
        }
    }
}
