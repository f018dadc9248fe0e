using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace WechatGateway.Webhook;

/// <summary>A push as the spool keeps it: enough to record it in <c>wechat_push</c> later, exactly as it came.</summary>
/// <param name="RawXml">The plaintext push; parsing it again gives the same push and the same dedup key.</param>
public sealed record SpooledPush(string AppId, string SecurityMode, DateTime ReceivedAt, string RawXml);

/// <summary>What the drainer read: the pushes of the oldest frames, and where the spool stands once they are in MySQL.</summary>
public sealed record SpoolRead(IReadOnlyList<SpooledPush> Pushes, SpoolPosition After, int Frames);

/// <summary>A place in the spool: everything before <see cref="Offset"/> of segment <see cref="Segment"/> (and every older segment).</summary>
public readonly record struct SpoolPosition(long Segment, long Offset);

/// <summary>
/// The push spool: where the group commit keeps a batch durably while MySQL cannot take it, so its requests can be
/// answered 200 (CONTRACT §3), until <see cref="SpoolDrainer"/> replays it into <c>wechat_push</c>.
/// </summary>
/// <remarks>
/// <para>
/// Append-only segment files in <see cref="PushSpoolOptions.Directory"/>. A batch is one frame — magic, payload length,
/// CRC-32 of the payload, payload — written with one write and made durable with one fsync before any of its requests
/// is answered: the same group commit as the MySQL path, with the disk's flush in place of the commit. A crash during
/// the write leaves a torn frame at the tail; its fsync never returned, so none of it was answered 200, and the next
/// start finds it by its length or CRC and cuts it off.
/// </para>
/// <para>
/// The drainer's progress is a checkpoint file (segment, offset), rewritten and fsync'd after each MySQL commit. A crash
/// between the commit and the checkpoint replays those frames again, which the dedup key makes the same rows; a torn
/// checkpoint is read as "from the start", with the same effect. Drained segments are deleted whole.
/// </para>
/// <para>
/// Why a local file rather than Redis: Redis with <c>appendfsync everysec</c> (its usual setting) acknowledges a write
/// up to a second before it is on disk, so pushes answered 200 in that second die with a Redis crash; with
/// <c>appendfsync always</c> every instance would share one fsync queue on another host, one more hop on the path that
/// must stay short. The price of a local file: it lives and dies with the volume it is on. A pod evicted with an
/// emptyDir loses what its spool holds; a PersistentVolume (or a hostPath on a node that comes back) keeps it for the
/// pod's next start. A full disk is a failed write: the batch is answered 503, as a full spool is.
/// </para>
/// </remarks>
public sealed class PushSpool : IDisposable
{
    /// <summary>The first four bytes of every frame ("WGS1", little-endian).</summary>
    public const uint FrameMagic = 0x31535747;
    private const int HeaderBytes = 12;
    private const string SegmentPrefix = "push-";
    private const string SegmentSuffix = ".spool";
    private const string CheckpointName = "checkpoint";

    private readonly PushSpoolOptions _options;
    private readonly ILogger<PushSpool> _logger;
    private readonly string _directory;

    // Appends, the drainer's commits and the switch back to MySQL take turns on this gate.
    private readonly SemaphoreSlim _gate = new(1, 1);

    // The frames not yet replayed, oldest first: (segment, offset, length, pushes, oldest arrival).
    private readonly LinkedList<Frame> _frames = new();
    private SafeFileHandle? _active;
    private long _activeSegment;
    private long _activeLength;
    private long _bytes;
    private long _pushes;
    private bool _broken;

    // Set when a batch did not fit, cleared when the drain frees room: readiness then says "no" before the next push
    // has to find out.
    private bool _full;

    public PushSpool(IOptions<PushSpoolOptions> options, IHostEnvironment environment, WebhookMetrics metrics, TimeProvider time, ILogger<PushSpool> logger)
    {
        _options = options.Value;
        _logger = logger;
        _directory = Path.GetFullPath(Path.Combine(environment.ContentRootPath, _options.Directory));
        try
        {
            Directory.CreateDirectory(_directory);
            Recover();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Webhook:Spool:Directory '{_directory}' cannot be used as the push spool: {e.Message}", e);
        }

        metrics.ObserveSpool(this, time);
    }

    /// <summary>True while pushes wait in the spool: new batches join its tail, so the drain keeps the order they came in.</summary>
    public bool HoldsPushes => Volatile.Read(ref _pushes) > 0;

    /// <summary>False when the spool refused a batch for lack of room or its last write failed: a batch would be answered 503.</summary>
    public bool CanTakeWrites => !_broken && !Volatile.Read(ref _full);

    public long Depth => Volatile.Read(ref _pushes);

    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>When the oldest push still in the spool arrived.</summary>
    public DateTime? OldestReceivedAt
    {
        get
        {
            lock (_frames)
            {
                return _frames.First?.Value.Oldest;
            }
        }
    }

    public string DirectoryPath => _directory;

    /// <summary>Appends one batch as one frame, with one write and one fsync; when this returns the batch is durable.</summary>
    /// <exception cref="PushSpoolFullException">The frame would take the spool past <see cref="PushSpoolOptions.MaxBytes"/>.</exception>
    /// <exception cref="IOException">The write or the fsync failed (a full disk): nothing of the batch counts.</exception>
    public async Task AppendAsync(IReadOnlyList<SpooledPush> pushes, CancellationToken ct)
    {
        var frame = Encode(pushes);
        await _gate.WaitAsync(ct);
        try
        {
            if (_broken)
            {
                throw new IOException("The push spool's last write failed; it takes no more until the gateway restarts.");
            }

            if (_bytes + frame.Length > _options.MaxBytes)
            {
                Volatile.Write(ref _full, true);
                throw new PushSpoolFullException($"The push spool holds {_bytes} bytes; Webhook:Spool:MaxBytes is {_options.MaxBytes}.");
            }

            if (_active is null || _activeLength >= _options.SegmentBytes)
            {
                StartSegment();
            }

            var offset = _activeLength;
            try
            {
                RandomAccess.Write(_active!, frame, offset);
                RandomAccess.FlushToDisk(_active!);
            }
            catch (IOException)
            {
                // The frame may be half on disk. Cutting it off keeps the file appendable; if even that fails, a later
                // frame would follow garbage that a restart would cut off with it, so the spool stops taking writes.
                try
                {
                    RandomAccess.SetLength(_active!, offset);
                    RandomAccess.FlushToDisk(_active!);
                }
                catch (IOException)
                {
                    _broken = true;
                }

                throw;
            }

            _activeLength = offset + frame.Length;
            var wasEmpty = _pushes == 0;
            Add(new Frame(_activeSegment, offset, frame.Length, pushes.Count, pushes.Min(p => p.ReceivedAt)));
            if (wasEmpty)
            {
                _logger.LogWarning("MySQL cannot take pushes: spooling them to {Directory} until it can", _directory);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads the oldest frames, up to about <paramref name="maxPushes"/> pushes; null when the spool is empty.</summary>
    public SpoolRead? ReadOldest(int maxPushes)
    {
        List<Frame> frames;
        lock (_frames)
        {
            frames = [];
            var count = 0;
            for (var node = _frames.First; node is not null && (count == 0 || count + node.Value.Pushes <= maxPushes); node = node.Next)
            {
                frames.Add(node.Value);
                count += node.Value.Pushes;
            }
        }

        if (frames.Count == 0)
        {
            return null;
        }

        var pushes = new List<SpooledPush>();
        foreach (var segment in frames.GroupBy(f => f.Segment))
        {
            using var file = File.OpenHandle(SegmentPath(segment.Key), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            foreach (var frame in segment)
            {
                var bytes = new byte[frame.Length];
                RandomAccess.Read(file, bytes, frame.Offset);
                pushes.AddRange(Decode(bytes) ?? throw new InvalidDataException($"Spool frame at {frame.Offset} of segment {frame.Segment} no longer reads back."));
            }
        }

        var last = frames[^1];
        return new SpoolRead(pushes, new SpoolPosition(last.Segment, last.Offset + last.Length), frames.Count);
    }

    /// <summary>
    /// The frames of <paramref name="read"/> are in MySQL: the checkpoint moves past them (fsync'd), drained segments
    /// are deleted, and when nothing is left the spool is empty again and batches go to MySQL.
    /// </summary>
    /// <returns>True when the spool is now empty.</returns>
    public async Task<bool> CompleteAsync(SpoolRead read, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            lock (_frames)
            {
                for (var i = 0; i < read.Frames; i++)
                {
                    var frame = _frames.First!.Value;
                    _frames.RemoveFirst();
                    _bytes -= frame.Length;
                    _pushes -= frame.Pushes;
                }
            }

            Volatile.Write(ref _full, false);

            if (_pushes > 0)
            {
                WriteCheckpoint(read.After);
                foreach (var segment in Segments().Where(s => s < read.After.Segment))
                {
                    File.Delete(SegmentPath(segment));
                }

                return false;
            }

            // Empty: every segment goes, then the checkpoint (in that order, so a crash in between finds no segment
            // the checkpoint does not cover). The next spooled batch starts a new segment.
            _active?.Dispose();
            _active = null;
            foreach (var segment in Segments())
            {
                File.Delete(SegmentPath(segment));
            }

            File.Delete(Path.Combine(_directory, CheckpointName));
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _active?.Dispose();
        _gate.Dispose();
    }

    private void Add(Frame frame)
    {
        lock (_frames)
        {
            _frames.AddLast(frame);
            _bytes += frame.Length;
            _pushes += frame.Pushes;
        }
    }

    /// <summary>At start: finds the frames not yet replayed and cuts off a torn tail (a write a crash interrupted).</summary>
    private void Recover()
    {
        var checkpoint = ReadCheckpoint();
        var segments = Segments();

        // New segments are numbered past both, so none is ever taken for one the checkpoint says was replayed.
        _activeSegment = Math.Max(checkpoint.Segment, segments.LastOrDefault());
        foreach (var segment in segments)
        {
            if (segment < checkpoint.Segment)
            {
                File.Delete(SegmentPath(segment));
                continue;
            }

            using var file = File.OpenHandle(SegmentPath(segment), FileMode.Open, FileAccess.ReadWrite);
            var length = RandomAccess.GetLength(file);
            var offset = segment == checkpoint.Segment ? Math.Min(checkpoint.Offset, length) : 0;
            var frames = 0;
            while (offset < length && ReadFrame(file, offset, length) is { } frame)
            {
                Add(new Frame(segment, offset, frame.Length, frame.Pushes.Count, frame.Pushes.Min(p => p.ReceivedAt)));
                offset += frame.Length;
                frames++;
            }

            if (offset < length)
            {
                // Never answered: the frame's fsync did not return before the crash.
                _logger.LogWarning("Push spool segment {Segment}: cut off {Bytes} bytes of a write a crash interrupted", segment, length - offset);
                RandomAccess.SetLength(file, offset);
                RandomAccess.FlushToDisk(file);
            }

        }

        if (_pushes > 0)
        {
            _logger.LogWarning("The push spool holds {Count} pushes from before the start; they are replayed into MySQL when it answers", _pushes);
        }
    }

    private void StartSegment()
    {
        _active?.Dispose();
        _activeSegment++;
        _activeLength = 0;
        _active = File.OpenHandle(SegmentPath(_activeSegment), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);

        // The new file's name must be on disk too, or a crash could keep the data and lose the file.
        SyncDirectory();
    }

    private static (int Length, List<SpooledPush> Pushes)? ReadFrame(SafeFileHandle file, long offset, long length)
    {
        if (length - offset < HeaderBytes)
        {
            return null;
        }

        var header = new byte[HeaderBytes];
        RandomAccess.Read(file, header, offset);
        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != FrameMagic || payloadLength <= 0 || payloadLength > length - offset - HeaderBytes)
        {
            return null;
        }

        var frame = new byte[HeaderBytes + payloadLength];
        RandomAccess.Read(file, frame, offset);
        return Decode(frame) is { } pushes ? (frame.Length, pushes) : null;
    }

    private static byte[] Encode(IReadOnlyList<SpooledPush> pushes)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(pushes.Count);
            foreach (var push in pushes)
            {
                writer.Write(push.AppId);
                writer.Write(push.SecurityMode);
                writer.Write(push.ReceivedAt.Ticks);
                writer.Write(push.RawXml);
            }
        }

        var body = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        var frame = new byte[HeaderBytes + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, FrameMagic);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(4), body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), Crc32.HashToUInt32(body));
        body.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    /// <returns>Null for a frame whose CRC does not match: torn or damaged.</returns>
    private static List<SpooledPush>? Decode(byte[] frame)
    {
        var body = frame.AsSpan(HeaderBytes);
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(8)))
        {
            return null;
        }

        using var reader = new BinaryReader(new MemoryStream(frame, HeaderBytes, frame.Length - HeaderBytes), Encoding.UTF8);
        var count = reader.ReadInt32();
        var pushes = new List<SpooledPush>(count);
        for (var i = 0; i < count; i++)
        {
            pushes.Add(new SpooledPush(reader.ReadString(), reader.ReadString(), new DateTime(reader.ReadInt64(), DateTimeKind.Utc), reader.ReadString()));
        }

        return pushes;
    }

    private SpoolPosition ReadCheckpoint()
    {
        var path = Path.Combine(_directory, CheckpointName);
        if (!File.Exists(path))
        {
            return default;
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != 20 || Crc32.HashToUInt32(bytes.AsSpan(0, 16)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)))
        {
            // A torn checkpoint: replaying from the start is safe, the dedup key makes each push one row.
            _logger.LogWarning("The push spool's checkpoint is unreadable; replaying every segment (each push stays one row)");
            return default;
        }

        return new SpoolPosition(BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));
    }

    private void WriteCheckpoint(SpoolPosition position)
    {
        var bytes = new byte[20];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, position.Segment);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), position.Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), Crc32.HashToUInt32(bytes.AsSpan(0, 16)));
        var path = Path.Combine(_directory, CheckpointName);
        var created = !File.Exists(path);
        using (var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write))
        {
            RandomAccess.Write(file, bytes, 0);
            RandomAccess.FlushToDisk(file);
        }

        if (created)
        {
            SyncDirectory();
        }
    }

    private List<long> Segments() =>
        Directory.EnumerateFiles(_directory, SegmentPrefix + "*" + SegmentSuffix)
            .Select(f => Path.GetFileName(f)[SegmentPrefix.Length..^SegmentSuffix.Length])
            .Select(n => long.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : -1)
            .Where(s => s >= 0)
            .Order()
            .ToList();

    private string SegmentPath(long segment) =>
        Path.Combine(_directory, $"{SegmentPrefix}{segment.ToString("D12", System.Globalization.CultureInfo.InvariantCulture)}{SegmentSuffix}");

    private void SyncDirectory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Native.Open(Encoding.UTF8.GetBytes(_directory + "\0"), 0);
        if (fd < 0)
        {
            throw new IOException($"Cannot open the spool directory to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Native.Fsync(fd) != 0)
            {
                throw new IOException($"Cannot sync the spool directory (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    private sealed record Frame(long Segment, long Offset, int Length, int Pushes, DateTime Oldest);

    /// <summary>.NET has no fsync of a directory; a new file's name is only durable once its directory is synced.</summary>
    private static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        public static extern int Close(int fd);
    }
}

/// <summary>The spool has no room for the batch (<see cref="PushSpoolOptions.MaxBytes"/>): it is answered 503.</summary>
public sealed class PushSpoolFullException(string message) : IOException(message);

/// <summary>Readiness: the spool can take a batch (not full, its last write did not fail); says how much it holds.</summary>
public sealed class PushSpoolHealthCheck(PushSpool spool, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var holds = spool.OldestReceivedAt is { } oldest
            ? $"{spool.Depth} pushes waiting, the oldest for {(time.GetUtcNow().UtcDateTime - oldest).TotalSeconds:F0} s"
            : "empty";
        return Task.FromResult(spool.CanTakeWrites
            ? HealthCheckResult.Healthy(holds)
            : HealthCheckResult.Unhealthy($"The push spool cannot take writes (full or failing); {holds}"));
    }
}
