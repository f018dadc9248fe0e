using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Webhook;

/// <summary>The <c>Webhook</c> section: how pushes are recorded (see <see cref="PushRecorder"/>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhook";

    /// <summary>At most this many pushes share one commit.</summary>
    [Range(1, 2000)]
    public int MaxBatch { get; set; } = 256;

    /// <summary>At most about this many bytes of push bodies share one commit (MySQL's max_allowed_packet is 16 MiB by default).</summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Batches written at once; each holds one MySQL connection while it commits.</summary>
    [Range(1, 16)]
    public int Writers { get; set; } = 2;

    /// <summary>Pushes waiting for a writer before requests wait to join the queue.</summary>
    [Range(16, 1_000_000)]
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>
    /// A push not recorded within this (committed in MySQL, or written to the spool) is answered 503 (WeChat gives up
    /// on an answer after 5 s and retries; the retry finds the row if the commit landed after all).
    /// </summary>
    [Range(100, 4500)]
    public int RecordTimeoutMilliseconds { get; set; } = 3000;

    /// <summary>
    /// A passive reply that reads the member (their balance, tier, stage) is rendered after the push's own handlers have
    /// run, in the request, so a welcome shows the follow award. When processing takes longer than this, the push is
    /// answered <c>success</c> and the reply is sent through the queue once a worker has processed it.
    /// </summary>
    [Range(100, 3000)]
    public int AnswerAfterProcessingMilliseconds { get; set; } = 1500;
}
