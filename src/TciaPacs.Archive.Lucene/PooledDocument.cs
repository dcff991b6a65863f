using Lucene.Net.Documents;
using Lucene.Net.Util;

namespace TciaPacs.Archive.Lucene;

/// <summary>
/// One thread's document and the fields it reuses between documents (Lucene allows reusing a field once the document
/// holding it has been added): per field name, the fields handed out so far in this document and those left over.
/// </summary>
internal sealed class PooledDocument
{
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly List<Slot> _used = [];

    public Document Document { get; } = new();

    /// <summary>Begins the next document: every field goes back to its pool.</summary>
    public void Start()
    {
        foreach (var slot in _used) slot.Next = 0;
        _used.Clear();
        Document.Fields.Clear();
    }

    public void AddString(string name, string value, bool stored = false)
    {
        var slot = SlotOf(stored ? name + "\u0001stored" : name);
        Field field;
        if (slot.Next < slot.Fields.Count)
        {
            field = slot.Fields[slot.Next];
            field.SetStringValue(value);
        }
        else
        {
            field = new StringField(name, value, stored ? Field.Store.YES : Field.Store.NO);
            slot.Fields.Add(field);
        }
        slot.Next++;
        Document.Add(field);
    }

    public void AddSorted(string name, string value)
    {
        var slot = SlotOf(name + "\u0001sorted");
        Field field;
        if (slot.Next < slot.Fields.Count)
        {
            field = slot.Fields[slot.Next];
            field.SetBytesValue(new BytesRef(value));
        }
        else
        {
            field = new SortedDocValuesField(name, new BytesRef(value));
            slot.Fields.Add(field);
        }
        slot.Next++;
        Document.Add(field);
    }

    public void AddTicks(string name, long ticks)
    {
        var slot = SlotOf(name);
        Field field;
        if (slot.Next < slot.Fields.Count)
        {
            field = slot.Fields[slot.Next];
            field.SetInt64Value(ticks);
        }
        else
        {
            field = new Int64Field(name, ticks, DocumentBuilder.TicksType);
            slot.Fields.Add(field);
        }
        slot.Next++;
        Document.Add(field);
    }

    private Slot SlotOf(string key)
    {
        if (!_slots.TryGetValue(key, out var slot)) _slots[key] = slot = new Slot();
        if (slot.Next == 0) _used.Add(slot);
        return slot;
    }

    private sealed class Slot
    {
        public readonly List<Field> Fields = [];
        public int Next;
    }
}
