// A form's submitted values and field errors bound to its fields by name, so each field names its
// key once: `<Field {...field("title")} label="Title" />` carries name, value and error together.

/** The name, value and error of one field, read from the form's values and errors. */
export function bindFields(
  values: Record<string, string | undefined>,
  errors: Record<string, string | undefined>,
): (name: string) => { name: string; value: string | undefined; error: string | undefined } {
  return (name) => ({ name, value: values[name], error: errors[name] });
}
