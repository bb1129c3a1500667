// A data table's header row: one column header per name, scoped to its column for screen readers.

export function TableHead({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((name) => <th key={name} scope="col">{name}</th>)}
      </tr>
    </thead>
  );
}
