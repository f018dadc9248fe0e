using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Campaigns;

/// <summary>The <c>Campaigns</c> section: the run engine (<see cref="CampaignRunner"/>).</summary>
public sealed class CampaignOptions
{
    public const string Section = "Campaigns";

    /// <summary>How often an idle engine looks for due campaigns and runs to advance.</summary>
    [Range(20, 60_000, ErrorMessage = "Campaigns:PollMilliseconds must be between {1} and {2}.")]
    public int PollMilliseconds { get; set; } = 200;

    /// <summary>Audience members decided (queued or skipped) per transaction: what a worker holds in memory at once.</summary>
    [Range(1, 1000, ErrorMessage = "Campaigns:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 200;

    /// <summary>Members copied from the segment per INSERT … SELECT when a run freezes its audience.</summary>
    [Range(100, 100_000, ErrorMessage = "Campaigns:FreezeChunk must be between {1} and {2}.")]
    public int FreezeChunk { get; set; } = 5000;

    /// <summary>
    /// The part of the account's send quota (<c>SendQueue:PerAccountPerSecond</c>) campaigns may never use, so that
    /// replies to followers are not queued behind them: campaigns of one account together send at most the rest.
    /// </summary>
    [Range(5, 95, ErrorMessage = "Campaigns:ReplyReservePercent must be between {1} and {2}.")]
    public int ReplyReservePercent { get; set; } = 20;

    /// <summary>The time zone of a cron schedule and of quiet hours that name none (IANA).</summary>
    [Required(ErrorMessage = "Campaigns:DefaultTimeZone is required.")]
    public string DefaultTimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>The most campaign sends per second an account allows: its quota less the reply reserve.</summary>
    public int MaxRate(int perAccountPerSecond) => Math.Max(1, perAccountPerSecond * (100 - ReplyReservePercent) / 100);
}
